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


def test_an_empty_environment_variable_overrides_the_file_and_unsets_the_key(tmp_path):
    path = tmp_path / "password_config"
    path.write_text('DOCS_URL = "http://file.example/"\nSLACK_APP_TOKEN = "xapp-1"\n')
    config = load_config(path, environ={"SLACK_APP_TOKEN": ""})
    assert config.text("SLACK_APP_TOKEN") is None and not config.is_set("SLACK_APP_TOKEN")
    assert config.text("DOCS_URL") == "http://file.example/"


def test_an_unquoted_hash_in_a_value_is_refused_naming_the_key_and_never_the_value():
    with pytest.raises(ConfigError) as raised:
        parse_config_text('SMTP_HOST = "mail"\nSENDER_PASSWORD = abc#123\n')
    assert str(raised.value) == ("SENDER_PASSWORD in password_config line 2 has a # inside its value: put the value "
                                 "in double quotes (a # after a space starts a comment).")
    assert "abc" not in str(raised.value) and "123" not in str(raised.value)
    entries = parse_config_text('A_KEY = plain  # a comment\nB_KEY = "x#y" # one more\nC_KEY = # nothing set\n')
    assert [entries[key][0] for key in ("A_KEY", "B_KEY", "C_KEY")] == ["plain", "x#y", ""]
    with pytest.raises(ConfigError, match="D_KEY in password_config line 1 has an unclosed quote"):
        parse_config_text('D_KEY = "open\n')


def test_relative_paths_are_the_projects_wherever_the_process_starts(tmp_path, monkeypatch):
    from database.connection import data_dir
    monkeypatch.chdir(tmp_path)
    config = Config({"DATA_DIR": ("data", "x"), "LOG_DIR": ("logs", "y")}, {})
    assert data_dir(config) == utils.PROJECT_DIR / "data"
    assert utils.log_dir_of(config) == utils.PROJECT_DIR / "logs"
    assert utils.log_dir_of(Config({}, {"LOG_DIR": str(tmp_path / "abs")})) == tmp_path / "abs"


def test_slack_bot_token_is_read_as_slacks_docs_name_it():
    assert Config({}, {"SLACK_BOT_TOKEN": "xoxb-1"}).text("BOT_TOKEN") == "xoxb-1"
    assert Config({"SLACK_BOT_TOKEN": ("xoxb-2", "f")}, {"BOT_TOKEN": "xoxb-3"}).text("BOT_TOKEN") == "xoxb-3"


def test_a_configuration_file_named_on_the_command_line_must_exist(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "absent", environ={})
    assert load_config(environ={"PASSWORD_CONFIG": str(tmp_path / "absent")}).text("DOCS_URL") is None


def test_password_config_variable_names_another_file(tmp_path):
    other = tmp_path / "demo_config"
    other.write_text('DOCS_URL = "http://127.0.0.1:8101/"\n')
    assert load_config(environ={"PASSWORD_CONFIG": str(other)}).text("DOCS_URL") == "http://127.0.0.1:8101/"


def test_a_missing_password_config_gives_defaults(tmp_path, monkeypatch):
    monkeypatch.setattr(utils, "CONFIG_FILE", tmp_path / "absent")
    assert load_config(environ={}).integer("DOCS_POLL_SECONDS", 300) == 300


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
