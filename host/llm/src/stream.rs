//! Streamed completions: the server-sent-events decoder for `stream: true` answers, and [`ChatStream`], the
//! receiving end a caller reads content deltas from.
//!
//! A task reads the body, decodes `data:` events (a `[DONE]` event ends the stream) and sends each content
//! delta through a bounded channel. The task holds the connection; dropping the [`ChatStream`] aborts it,
//! so a caller that stops listening also stops the download.

use bytes::Bytes;
use hyper::body::Incoming;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::LlmError;
use crate::error::TimeoutPhase;
use crate::transport::next_data;
use crate::wire::Reader;

/// Deltas buffered between the reading task and a slow consumer.
const CHANNEL_DEPTH: usize = 64;

/// A completion arriving as content deltas, in order. Ends with `None` after the last delta, or after one
/// `Err` that says why the stream broke off.
#[derive(Debug)]
pub struct ChatStream {
    receiver: mpsc::Receiver<Result<String, LlmError>>,
    /// The reading task; `None` when the answer was whole from the start.
    task: Option<JoinHandle<()>>,
}

impl ChatStream {
    /// The next content delta; `None` when the stream has ended.
    pub async fn next(&mut self) -> Option<Result<String, LlmError>> {
        self.receiver.recv().await
    }

    /// Reads the stream to its end and joins the deltas.
    pub async fn collect_text(mut self) -> Result<String, LlmError> {
        let mut text = String::new();
        while let Some(delta) = self.next().await {
            text.push_str(&delta?);
        }
        Ok(text)
    }

    /// Starts reading `body` as an event stream, under the bounds in `limits`.
    pub(crate) fn start(body: Incoming, reader: Reader, limits: StreamLimits) -> Self {
        let (sender, receiver) = mpsc::channel(CHANNEL_DEPTH);
        let task = tokio::spawn(async move {
            let outcome =
                tokio::time::timeout_at(limits.deadline, pump(body, &reader, &limits, &sender))
                    .await
                    .unwrap_or_else(|_| {
                        Err(LlmError::Timeout {
                            url: reader.url.clone(),
                            phase: TimeoutPhase::Answer,
                            after: limits.timeout,
                        })
                    });
            if let Err(err) = outcome {
                let _ = sender.send(Err(err)).await;
            }
        });
        Self {
            receiver,
            task: Some(task),
        }
    }

    /// A stream holding one whole answer: for servers that ignore `stream: true` and answer with JSON.
    pub(crate) fn of_text(content: String) -> Self {
        let (sender, receiver) = mpsc::channel(1);
        let _ = sender.try_send(Ok(content));
        Self {
            receiver,
            task: None,
        }
    }
}

impl Drop for ChatStream {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// The bounds a stream is read under.
pub(crate) struct StreamLimits {
    /// When the whole request must be done.
    pub deadline: Instant,
    /// The overall timeout the deadline came from, for the error.
    pub timeout: std::time::Duration,
    /// Bound on the whole body, in bytes.
    pub max_bytes: usize,
    /// The model asked for, named if the stream ends without content.
    pub model: String,
}

/// Reads events and forwards deltas until `[DONE]`, the end of the body, or a closed channel.
async fn pump(
    mut body: Incoming,
    reader: &Reader,
    limits: &StreamLimits,
    sender: &mpsc::Sender<Result<String, LlmError>>,
) -> Result<(), LlmError> {
    let mut decoder = EventDecoder::default();
    let mut received = 0usize;
    let mut any_content = false;
    let mut done = false;
    while !done {
        let chunk: Option<Bytes> = next_data(&mut body, &reader.url).await?;
        let events = match chunk {
            Some(chunk) => {
                received += chunk.len();
                if received > limits.max_bytes {
                    return Err(LlmError::TooLarge {
                        url: reader.url.clone(),
                        limit: limits.max_bytes,
                    });
                }
                decoder.feed(&chunk)
            }
            None => {
                done = true;
                decoder.finish()
            }
        };
        for data in events {
            if data.trim() == "[DONE]" {
                done = true;
                break;
            }
            if let Some(delta) = reader.stream_chunk(&data)? {
                any_content = true;
                if sender.send(Ok(delta)).await.is_err() {
                    return Ok(());
                }
            }
        }
    }
    if any_content {
        Ok(())
    } else {
        Err(LlmError::EmptyCompletion {
            model: limits.model.clone(),
            finish_reason: "the stream ended without content".into(),
        })
    }
}

/// Splits a `text/event-stream` body into the data of its events (the `data:` lines of one event joined
/// with `\n`). Other fields (`event:`, `id:`, `retry:`) and comments are ignored; lines may end in `\n`,
/// `\r\n` or `\r`, and may be split anywhere across chunks.
#[derive(Debug, Default)]
pub(crate) struct EventDecoder {
    /// Bytes of a line not yet ended.
    partial: Vec<u8>,
    /// Data lines of the event being read.
    data: Vec<String>,
    /// The previous chunk ended in `\r`: a `\n` starting the next one belongs to that line end.
    after_cr: bool,
}

impl EventDecoder {
    /// Feeds a chunk; returns the data of every event it completed.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Vec<String> {
        let mut events = Vec::new();
        for &byte in chunk {
            let after_cr = std::mem::replace(&mut self.after_cr, false);
            match byte {
                b'\n' if after_cr => {}
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = String::from_utf8_lossy(&self.partial).into_owned();
                    self.partial.clear();
                    self.line(line, &mut events);
                }
                _ => self.partial.push(byte),
            }
        }
        events
    }

    /// The body ended: completes a last event that had no blank line after it.
    pub(crate) fn finish(&mut self) -> Vec<String> {
        let mut events = Vec::new();
        if !self.partial.is_empty() {
            let line = String::from_utf8_lossy(&self.partial).into_owned();
            self.partial.clear();
            self.line(line, &mut events);
        }
        self.line(String::new(), &mut events);
        events
    }

    fn line(&mut self, line: String, events: &mut Vec<String>) {
        if line.is_empty() {
            if !self.data.is_empty() {
                events.push(self.data.join("\n"));
                self.data.clear();
            }
        } else if let Some(value) = line.strip_prefix("data") {
            // `data:value`, `data: value`, or a bare `data` (an empty line of data).
            if value.is_empty() || value.starts_with(':') {
                let value = value.strip_prefix(':').unwrap_or_default();
                self.data
                    .push(value.strip_prefix(' ').unwrap_or(value).to_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(body: &str, piece: usize) -> Vec<String> {
        let mut decoder = EventDecoder::default();
        let mut events = Vec::new();
        for chunk in body.as_bytes().chunks(piece) {
            events.extend(decoder.feed(chunk));
        }
        events.extend(decoder.finish());
        events
    }

    #[test]
    fn events_survive_any_chunking() {
        let body = ": keep-alive\r\n\r\ndata: {\"a\":1}\r\n\r\nevent: x\ndata:{\"b\":2}\n\ndata: [DONE]\n\n";
        for piece in 1..body.len() {
            assert_eq!(
                decode_in_pieces(body, piece),
                [r#"{"a":1}"#, r#"{"b":2}"#, "[DONE]"],
                "piece size {piece}"
            );
        }
    }

    #[test]
    fn multi_line_data_is_joined_and_a_last_event_without_blank_line_counts() {
        assert_eq!(
            decode_in_pieces("data: one\ndata: two\n\ndata: tail", 4),
            ["one\ntwo", "tail"]
        );
    }

    #[test]
    fn lines_that_only_start_like_data_are_not_data() {
        assert!(decode_in_pieces("database: x\n\n", 3).is_empty());
    }
}
