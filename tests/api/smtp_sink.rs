//! A real (minimal) SMTP server on 127.0.0.1 that keeps every message it accepts. It can be
//! stopped and started again on the same port, to play a mail server outage.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

pub struct SmtpSink {
    pub port: u16,
    messages: Arc<Mutex<Vec<Vec<u8>>>>,
    tasks: Arc<Mutex<Vec<actix_web::rt::task::JoinHandle<()>>>>,
}

impl SmtpSink {
    pub async fn start(port: u16) -> SmtpSink {
        SmtpSink::start_with(port, Arc::new(Mutex::new(Vec::new()))).await
    }

    async fn start_with(port: u16, messages: Arc<Mutex<Vec<Vec<u8>>>>) -> SmtpSink {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind SMTP sink");
        let port = listener.local_addr().expect("addr").port();
        let tasks: Arc<Mutex<Vec<actix_web::rt::task::JoinHandle<()>>>> =
            Arc::new(Mutex::new(Vec::new()));
        let (store, task_list) = (messages.clone(), tasks.clone());
        let accept = actix_web::rt::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                let handle = actix_web::rt::spawn(async move {
                    let _ = serve(stream, store).await;
                });
                task_list.lock().unwrap().push(handle);
            }
        });
        tasks.lock().unwrap().push(accept);
        SmtpSink {
            port,
            messages,
            tasks,
        }
    }

    /// Closes the listener and every open connection.
    pub fn stop(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// Starts again on the same port, keeping what was received.
    pub async fn restart(&self) -> SmtpSink {
        SmtpSink::start_with(self.port, self.messages.clone()).await
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.messages.lock().unwrap().clone()
    }

    /// Waits until at least `count` messages arrived (or the timeout passes).
    pub async fn wait_for(&self, count: usize, seconds: u64) -> Vec<Vec<u8>> {
        for _ in 0..seconds * 20 {
            if self.messages.lock().unwrap().len() >= count {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.messages()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn serve(stream: TcpStream, store: Arc<Mutex<Vec<Vec<u8>>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write.write_all(b"220 sink ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        if command.starts_with("EHLO") || command.starts_with("HELO") {
            write.write_all(b"250-sink\r\n250 8BITMIME\r\n").await?;
        } else if command.starts_with("DATA") {
            write.write_all(b"354 go ahead\r\n").await?;
            let mut data = Vec::new();
            loop {
                let mut body_line = Vec::new();
                if reader.read_until(b'\n', &mut body_line).await? == 0 {
                    return Ok(());
                }
                if body_line == b".\r\n" || body_line == b".\n" {
                    break;
                }
                let unstuffed = if body_line.starts_with(b"..") {
                    &body_line[1..]
                } else {
                    &body_line[..]
                };
                data.extend_from_slice(unstuffed);
            }
            store.lock().unwrap().push(data);
            write.write_all(b"250 queued\r\n").await?;
        } else if command.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            write.write_all(b"250 OK\r\n").await?;
        }
    }
}

/// Subject, plain-text body and Message-ID of a received message, decoded.
pub struct Received {
    /// File names and sizes of attachments.
    pub attachments: Vec<(String, Vec<u8>)>,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub message_id: String,
    pub auto_submitted: String,
}

pub fn parse(raw: &[u8]) -> Received {
    let mail = mailparse::parse_mail(raw).expect("parse mail");
    let header = |name: &str| {
        mail.headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(name))
            .map(|h| h.get_value())
            .unwrap_or_default()
    };
    let part = |mime: &str| {
        find_part(&mail, mime)
            .map(|p| p.get_body().expect("body"))
            .unwrap_or_default()
    };
    let mut attachments = Vec::new();
    collect_attachments(&mail, &mut attachments);
    Received {
        attachments,
        to: header("To"),
        subject: header("Subject"),
        text: part("text/plain"),
        html: part("text/html"),
        message_id: header("Message-ID"),
        auto_submitted: header("Auto-Submitted"),
    }
}

fn find_part<'a>(
    mail: &'a mailparse::ParsedMail<'a>,
    mime: &str,
) -> Option<&'a mailparse::ParsedMail<'a>> {
    if mail.ctype.mimetype == mime && mail.subparts.is_empty() {
        return Some(mail);
    }
    mail.subparts.iter().find_map(|p| find_part(p, mime))
}

fn collect_attachments(mail: &mailparse::ParsedMail<'_>, out: &mut Vec<(String, Vec<u8>)>) {
    let disposition = mail.get_content_disposition();
    if disposition.disposition == mailparse::DispositionType::Attachment {
        let name = disposition
            .params
            .get("filename")
            .cloned()
            .unwrap_or_default();
        out.push((name, mail.get_body_raw().expect("attachment body")));
    }
    for part in &mail.subparts {
        collect_attachments(part, out);
    }
}
