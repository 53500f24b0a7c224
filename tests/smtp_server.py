"""A real SMTP server (aiosmtpd) on loopback for the tests. (Placeholder: the mail work fills it.)"""
