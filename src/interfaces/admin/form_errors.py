"""A form or filter the console cannot read: answered 422 with the reason, nothing changed."""


class FormNotUnderstood(ValueError):
    pass
