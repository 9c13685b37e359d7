// Files under the directories the operator granted, over `wasi:filesystem` (the engine has no `fs`
// module). A path is absolute inside a grant's mount (`/workspace/notes/today.md`) or relative to the first
// grant (`notes/today.md`). The host confines every access to the granted directories; in a dry run a
// write lands in a scratch copy and the host keeps the diff.

import { getDirectories } from 'wasi:filesystem/preopens@0.2.12';
import { Denied, Failed, InvalidInput } from './errors.js';

const MAX_READ = 16n * 1024n * 1024n;

/** The mounts the plugin was granted, e.g. `["/workspace"]`. */
export function mounts() {
  return getDirectories().map(([, mount]) => mount);
}

/** Reads a file as UTF-8 text. */
export function readText(path) {
  return new TextDecoder().decode(readBytes(path));
}

/** Reads a file's bytes (at most 16 MiB). */
export function readBytes(path) {
  const [dir, inside] = locate(path);
  return guarded(path, () => {
    const file = dir.openAt({}, inside, {}, { read: true });
    const chunks = [];
    let offset = 0n;
    for (;;) {
      const [bytes, end] = file.read(64n * 1024n, offset);
      chunks.push(bytes);
      offset += BigInt(bytes.length);
      if (end || bytes.length === 0) break;
      if (offset > MAX_READ) throw new Failed(`${path} is larger than 16 MiB`);
    }
    const joined = new Uint8Array(Number(offset));
    let at = 0;
    for (const chunk of chunks) {
      joined.set(chunk, at);
      at += chunk.length;
    }
    return joined;
  });
}

/** Writes (creates or replaces) a file with `content` (a string or bytes); returns the bytes written. */
export function writeText(path, content) {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const [dir, inside] = locate(path);
  return guarded(path, () => {
    const file = dir.openAt({}, inside, { create: true, truncate: true }, { write: true });
    let written = 0n;
    while (written < BigInt(bytes.length)) {
      written += file.write(bytes.subarray(Number(written)), written);
    }
    return Number(written);
  });
}

/** The entries of a directory: `[{name, type}]`, sorted by name (`type`: `directory`, `regular-file`...). */
export function list(path = '.') {
  const [dir, inside] = locate(path);
  return guarded(path, () => {
    const target = inside === '.' ? dir : dir.openAt({}, inside, { directory: true }, { read: true });
    const stream = target.readDirectory();
    const entries = [];
    for (;;) {
      const entry = stream.readDirectoryEntry();
      if (!entry) break;
      entries.push({ name: entry.name, type: entry.type });
    }
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  });
}

/** Every regular file under `path`, as paths relative to it, sorted. */
export function walk(path = '.') {
  const found = [];
  const visit = (relative) => {
    for (const entry of list(relative === '' ? path : `${path}/${relative}`)) {
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.type === 'directory') visit(child);
      else if (entry.type === 'regular-file') found.push(child);
    }
  };
  visit('');
  return found.sort();
}

/** The granted directory holding `path`, and the path inside it. */
function locate(path) {
  const directories = getDirectories();
  if (directories.length === 0) throw new Denied('no directory is granted to this plugin');
  if (!path.startsWith('/')) return [directories[0][0], clean(path, path)];
  for (const [dir, mount] of directories) {
    if (path === mount) return [dir, '.'];
    if (path.startsWith(`${mount}/`)) return [dir, clean(path.slice(mount.length + 1), path)];
  }
  throw new Denied(`${path} is outside the granted directories (${mounts().join(', ')})`);
}

function clean(inside, original) {
  const parts = inside.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new Denied(`${original}: \`..\` may not leave the granted directory`);
  return parts.length === 0 ? '.' : parts.join('/');
}

function guarded(path, action) {
  try {
    return action();
  } catch (error) {
    if (error instanceof Error && !('payload' in error)) throw error;
    const code = error && typeof error === 'object' && 'payload' in error ? error.payload : String(error);
    if (code === 'no-entry') throw new Failed(`${path} does not exist`);
    if (code === 'access' || code === 'not-permitted' || code === 'read-only') {
      throw new Denied(`${path}: the host refused it (${code})`);
    }
    if (code === 'not-directory' || code === 'is-directory') throw new InvalidInput(`${path}: ${code}`);
    throw new Failed(`${path}: ${code}`);
  }
}
