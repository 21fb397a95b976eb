"""A stand-in for an SMTP server that is down for the first N sends (Django's locmem outbox after)."""

from smtplib import SMTPServerDisconnected

from django.core.mail.backends.locmem import EmailBackend


class FlakyEmailBackend(EmailBackend):
    failures_left = 0
    attempts = 0

    def send_messages(self, messages):
        FlakyEmailBackend.attempts += 1
        if FlakyEmailBackend.failures_left > 0:
            FlakyEmailBackend.failures_left -= 1
            raise SMTPServerDisconnected("connection unexpectedly closed")
        return super().send_messages(messages)
