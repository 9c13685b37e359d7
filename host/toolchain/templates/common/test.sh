#!/bin/sh
# Builds the plugin and tries its tools in Drydock's sandbox under drydock.toml, as a dry run: nothing is
# written and nothing is sent. Run it after each change: `sh test.sh`. Set DRYDOCK to use another binary.
set -eu
cd "$(dirname "$0")"
unset DRYDOCK_LIVE            # a dry run, whatever the shell says
drydock=${DRYDOCK:-drydock}
"$drydock" plugin build .
invoke() {
  "$drydock" tool invoke "$@" --plugins target/drydock --config drydock.toml --data-dir target/drydock-data
}
expect() {   # expect WHAT OUTPUT TEXT: the output must contain TEXT
  case "$2" in
    *"$3"*) echo "ok    $1" ;;
    *) printf 'FAIL  %s: expected %s in:\n%s\n' "$1" "$3" "$2"; exit 1 ;;
  esac
}

out=$(invoke {{name}}.read --args '{"path": "hello.md"}')
expect "read gives the note" "$out" "A note for the"

out=$(invoke {{name}}.post --args '{"path": "hello.md", "url": "https://notes.example.com/api/notes"}')
expect "a dry-run POST is answered by the host" "$out" "simulated http"

out=$(invoke {{name}}.post --args '{"path": "hello.md", "url": "https://elsewhere.example/upload"}' || true)
expect "an ungranted URL is denied" "$out" "denied"

out=$(invoke {{name}}.read --args '{"path": "../drydock.toml"}' || true)
expect "a path outside the workspace is refused" "$out" "invalid_input"
echo "all passed"
