"""Templates are checked by `overdue config check` (and before any send): unknown variables and
missing templates are config errors (78) naming the file and line; text is never HTML-escaped."""


def test_unknown_variable_in_a_template_names_file_and_line(ws):
    (ws.templates / "reminder-7.txt").write_text("Dear {{client.name}},\n\n{{invoice.amount_owed}}\n")
    result = ws.run("config", "check")
    assert result.returncode == 78
    assert f"{ws.templates / 'reminder-7.txt'}:3: unknown template variable \"invoice.amount_owed\"" in result.stderr


def test_unknown_variable_in_a_subject_names_the_config_line(ws):
    text = ws.config_text().replace("Invoice {{invoice.number}} is due today", "Invoice {{invoice.nmber}} is due today")
    ws.write_config(text=text)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "invoice.nmber" in l)
    result = ws.run("config", "check")
    assert result.returncode == 78
    assert f"{ws.config_path}:{line}: stage[2].subject: unknown template variable \"invoice.nmber\"" in result.stderr


def test_missing_text_template_is_a_config_error(ws):
    (ws.templates / "final-notice.txt").unlink()
    result = ws.run("config", "check")
    assert result.returncode == 78
    assert "final-notice.txt does not exist" in result.stderr


def test_mustache_syntax_error_names_the_line(ws):
    (ws.templates / "courtesy.txt").write_text("Hello\n{{#client}}unclosed\n")
    result = ws.run("config", "check")
    assert result.returncode == 78
    assert str(ws.templates / "courtesy.txt") in result.stderr


def test_optional_html_template_is_checked_too(ws):
    (ws.templates / "courtesy.html").write_text("<p>{{client.nmae}}</p>\n")
    result = ws.run("config", "check")
    assert result.returncode == 78
    assert f"{ws.templates / 'courtesy.html'}:1:" in result.stderr
