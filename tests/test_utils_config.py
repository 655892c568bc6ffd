import pytest

import utils
from utils import Config, ConfigError, load_config, parse_config_text


def test_it_reads_quoted_and_bare_values_and_skips_comments():
    entries = parse_config_text('# a comment\n\nSLACK_CHANNELS = "alerts, ops"\nDOCS_POLL_SECONDS = 60\n')
    assert entries["SLACK_CHANNELS"] == ("alerts, ops", "password_config line 3")
    assert entries["DOCS_POLL_SECONDS"] == ("60", "password_config line 4")


def test_a_hash_inside_quotes_is_part_of_the_value():
    assert parse_config_text('SENDER_PASSWORD = "pa#ss"')["SENDER_PASSWORD"][0] == "pa#ss"


def test_a_malformed_line_is_named_by_number_without_quoting_it():
    with pytest.raises(ConfigError) as raised:
        parse_config_text('DOCS_URL = "x"\nthis is s3cret garbage\n')
    assert str(raised.value) == 'password_config line 2 is not of the form KEY = "value".'
    assert "s3cret" not in str(raised.value)


def test_the_environment_overrides_the_file(tmp_path):
    path = tmp_path / "password_config"
    path.write_text('DOCS_POLL_SECONDS = "60"\nDOCS_URL = "http://file.example/"\n')
    config = load_config(path, environ={"DOCS_POLL_SECONDS": "120"})
    assert config.integer("DOCS_POLL_SECONDS") == 120
    assert config.text("DOCS_URL") == "http://file.example/"
    assert config.raw("DOCS_POLL_SECONDS")[1] == "environment variable DOCS_POLL_SECONDS"


def test_an_empty_environment_variable_does_not_hide_the_file(tmp_path):
    path = tmp_path / "password_config"
    path.write_text('DOCS_URL = "http://file.example/"\n')
    assert load_config(path, environ={"DOCS_URL": ""}).text("DOCS_URL") == "http://file.example/"


def test_password_config_variable_names_another_file(tmp_path):
    other = tmp_path / "demo_config"
    other.write_text('DOCS_URL = "http://127.0.0.1:8101/"\n')
    assert load_config(environ={"PASSWORD_CONFIG": str(other)}).text("DOCS_URL") == "http://127.0.0.1:8101/"


def test_a_missing_file_gives_defaults(tmp_path):
    assert load_config(tmp_path / "absent", environ={}).integer("DOCS_POLL_SECONDS", 300) == 300


@pytest.mark.parametrize(
    "accessor, value, sentence",
    [
        (lambda c: c.integer("DOCS_POLL_SECONDS"), "soon",
         "DOCS_POLL_SECONDS must be a whole number, but password_config line 1 is not one."),
        (lambda c: c.integer("DOCS_POLL_SECONDS", minimum=10), "5",
         "DOCS_POLL_SECONDS must be at least 10, but password_config line 1 sets 5."),
        (lambda c: c.boolean("DOCS_POLL_SECONDS"), "maybe",
         "DOCS_POLL_SECONDS must be true or false, but password_config line 1 is neither."),
        (lambda c: c.url("DOCS_POLL_SECONDS"), "ftp://x",
         "DOCS_POLL_SECONDS must be a URL starting with http:// or https://, but password_config line 1 is not one."),
        (lambda c: c.number("DOCS_POLL_SECONDS", minimum=0, maximum=1), "1.5",
         "DOCS_POLL_SECONDS must be between 0 and 1, but password_config line 1 sets 1.5."),
        (lambda c: c.choice("DOCS_POLL_SECONDS", ("ssl", "none"), "none"), "tls",
         "DOCS_POLL_SECONDS must be one of ssl, none, but password_config line 1 is not."),
    ],
)
def test_bad_values_are_refused_in_one_sentence_naming_key_and_source(tmp_path, accessor, value, sentence):
    path = tmp_path / "password_config"
    path.write_text(f'DOCS_POLL_SECONDS = "{value}"\n')
    with pytest.raises(ConfigError) as raised:
        accessor(load_config(path, environ={}))
    assert str(raised.value) == sentence


def test_a_bad_value_from_the_environment_names_the_variable():
    with pytest.raises(ConfigError, match="but environment variable PAGERDUTY_SYNC_SECONDS is not one"):
        Config({}, {"PAGERDUTY_SYNC_SECONDS": "often"}).integer("PAGERDUTY_SYNC_SECONDS")


def test_booleans_accept_the_usual_spellings():
    config = Config({}, {"A": "yes", "B": "Off", "C": "1"})
    assert (config.boolean("A"), config.boolean("B"), config.boolean("C"), config.boolean("D", True)) == (
        True, False, True, True)


def test_lists_are_comma_separated_with_blanks_dropped():
    assert Config({}, {"SLACK_CHANNELS": " alerts, ,ops ,"}).items("SLACK_CHANNELS") == ["alerts", "ops"]


def test_a_missing_required_key_is_one_sentence_naming_it():
    with pytest.raises(ConfigError) as raised:
        Config({}, {"SMTP_HOST": "mail"}).require("SMTP_HOST", "HANDOFF_RECIPIENTS", feature="the handoff mail")
    assert str(raised.value).startswith("HANDOFF_RECIPIENTS is not set for the handoff mail:")
    assert str(raised.value).count(".") == 2  # one sentence, pointing at password_config.example


def test_secret_values_include_tokens_passwords_and_the_database_password():
    config = Config(
        {"BOT_TOKEN": ("xoxb-file-token", "password_config line 1")},
        {"SENDER_PASSWORD": "hunter2hunter2", "DATABASE_URL": "postgresql://oncall:dbpass99@db/oncall",
         "DOCS_URL": "http://docs/"},
    )
    assert set(config.secret_values()) == {"xoxb-file-token", "hunter2hunter2", "dbpass99"}


def test_run_main_turns_a_config_error_into_exit_2(capsys):
    def main(argv):
        raise ConfigError("BOT_TOKEN is not set.")
    with pytest.raises(SystemExit) as exited:
        utils.run_main(main, [])
    assert exited.value.code == 2
    assert capsys.readouterr().err == "error: BOT_TOKEN is not set.\n"
