"""IMAP from the other side, for Chorus's IMAP tests: Python's imaplib puts mail into the
test Dovecot and reads back what the poller did to it (flags, folders)."""

import imaplib


def connect(port, user="support", password="secret"):
    m = imaplib.IMAP4("127.0.0.1", port)
    m.login(user, password)
    return m


def append(port, raw, folder="INBOX"):
    m = connect(port)
    typ, data = m.append(folder, None, None, raw)
    assert typ == "OK", data
    m.logout()


def create(port, folder):
    m = connect(port)
    m.create(folder)
    m.logout()


def flags(port, folder="INBOX"):
    """The flags of every message in the folder, in UID order."""
    m = connect(port)
    m.select(folder)
    typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
    m.logout()
    out = []
    for line in data:
        if line is None:
            continue
        text = line.decode() if isinstance(line, bytes) else line[0].decode()
        if "FLAGS" in text:
            out.append(text.split("FLAGS (", 1)[1].split(")", 1)[0])
    return out


def count(port, folder="INBOX"):
    m = connect(port)
    typ, data = m.select(folder)
    m.logout()
    return int(data[0])


def unflag_all(port, folder="INBOX"):
    """Marks everything unread again, as a person in a mail client might."""
    m = connect(port)
    m.select(folder)
    m.uid("STORE", "1:*", "-FLAGS", "(\\Seen)")
    m.logout()


def mail(frm, subject, body, message_id, attachment=None):
    from email.message import EmailMessage

    m = EmailMessage()
    m["From"] = frm
    m["To"] = "support@acme.test"
    m["Subject"] = subject
    m["Message-ID"] = message_id
    m.set_content(body)
    if attachment:
        m.add_attachment(attachment[1], maintype="application", subtype="octet-stream", filename=attachment[0])
    return m.as_bytes()
