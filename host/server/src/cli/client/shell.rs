//! `drydock shell`: the interactive prompt `drydock>` with `help`, `workflow list`, `workflow run <name>`,
//! `exit`. Input and output go through [`Terminal`] so that a run's questions are asked the same way in the
//! shell and in `drydock workflow run`.

use std::io::Write;
use std::process::ExitCode;

use tokio::io::{AsyncBufReadExt, BufReader, Lines, Stdin};

use super::{ServerArgs, connect, workflow};
use crate::cli::shown;

/// The prompt.
pub const PROMPT: &str = "drydock> ";

const HELP: &str = "\
Commands:
  help                  show this list
  workflow list         list the workflows you can run
  workflow run <name>   run a workflow (by name or by its number in the list); it asks for its inputs
                        one by one and for your validation of steps that need it
  exit                  leave the shell (Ctrl-D works too)";

/// Where the CLI reads answers and writes text.
pub struct Terminal {
    lines: Lines<BufReader<Stdin>>,
    out: std::io::Stdout,
}

impl Terminal {
    /// Standard input and output.
    pub fn stdio() -> Self {
        Self {
            lines: BufReader::new(tokio::io::stdin()).lines(),
            out: std::io::stdout(),
        }
    }

    /// Writes `prompt` (control characters escaped: it may quote the server) and reads one line (`None`
    /// at end of input).
    pub async fn ask(&mut self, prompt: &str) -> anyhow::Result<Option<String>> {
        write!(self.out, "{}", shown::line(prompt))?;
        self.out.flush()?;
        Ok(self
            .lines
            .next_line()
            .await?
            .map(|l| l.trim_end_matches('\r').to_owned()))
    }

    /// Writes one line (it may span several; control characters are escaped, since what the server sends
    /// back can carry a plugin's output).
    pub fn say(&mut self, text: &str) -> anyhow::Result<()> {
        writeln!(self.out, "{}", shown::block(text))?;
        Ok(self.out.flush()?)
    }

    /// The output, for listings.
    pub fn out(&mut self) -> &mut std::io::Stdout {
        &mut self.out
    }
}

/// Runs the shell until `exit` or the end of input.
pub async fn run(args: ServerArgs) -> anyhow::Result<ExitCode> {
    let server = connect(&args)?;
    let mut term = Terminal::stdio();
    term.say(&format!(
        "Connected to {}. Type `help` for the commands.",
        server.url()
    ))?;
    while let Some(line) = term.ask(PROMPT).await? {
        let words: Vec<&str> = line.split_whitespace().collect();
        let outcome = match words.as_slice() {
            [] => Ok(()),
            ["help"] => term.say(HELP),
            ["exit"] | ["quit"] => break,
            ["workflow", "list"] => workflow::list(&server, term.out()).await,
            ["workflow", "run", name] => workflow::run(&server, name, Vec::new(), false, &mut term)
                .await
                .map(|_| ()),
            ["workflow", ..] => term.say("usage: workflow list | workflow run <name>"),
            [other, ..] => term.say(&format!("unknown command `{other}`; type `help`")),
        };
        // A failed command is reported and the shell goes on: one bad request must not end the session.
        if let Err(err) = outcome {
            term.say(&format!("error: {err:#}"))?;
        }
    }
    term.say("bye")?;
    Ok(ExitCode::SUCCESS)
}
