"""The channels a notice can leave by, each behind `base.Channel`: the centre's HTTP SMS
gateway, Alibaba Cloud SMS, e-mail over SMTP, a department's own system (webhook), and the
default local file of what would be sent."""
