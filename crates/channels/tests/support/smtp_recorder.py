"""An aiosmtpd handler for Chorus's e-mail tests: it stores every mail it accepts so the
test can check the exact bytes that arrived.

Run as: python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_recorder.Recorder OUTDIR [REJECT,...] [DEFER,...]
(with this directory on PYTHONPATH). Each accepted mail becomes OUTDIR/NNN.json (the
envelope) and OUTDIR/NNN.eml (the bytes); the .eml is renamed into place last, so a test
that sees it can read both. Recipients listed in REJECT are refused at RCPT with a 550, those in DEFER with a 451.
"""

import json
import os


class Recorder:
    def __init__(self, outdir, reject="", defer=""):
        self.outdir = outdir
        self.reject = {r.strip().lower() for r in reject.split(",") if r.strip()}
        self.defer = {r.strip().lower() for r in defer.split(",") if r.strip()}
        self.count = 0

    @classmethod
    def from_cli(cls, parser, *args):
        # aiosmtpd hands the command line's extra arguments to this hook.
        return cls(*args)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 <%s>: user unknown" % address
        if address.lower() in self.defer:
            return "451 4.3.0 <%s>: mailbox busy, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.outdir, "%03d" % self.count)
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, f)
        with open(base + ".eml.part", "wb") as f:
            f.write(data)
        os.rename(base + ".eml.part", base + ".eml")
        return "250 2.0.0 Message accepted"
