"""`switchgear completion`: the scripts a user sources, exercised in a real bash."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from tests.cli.cli_process import run_switchgear

# Sources the script the way a user's shell does, then asks the function `complete -p` names
# for the candidates, exactly as readline would on TAB: COMP_WORDS/COMP_CWORD set, and the
# command, the word being completed and the one before it as arguments.
_ASK_BASH = """
source {script}
spec=$(complete -p switchgear) || exit 3
function=${{spec##*-F }}; function=${{function%% *}}
COMP_WORDS=({words}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="${{COMP_WORDS[*]}}"; COMP_POINT=${{#COMP_LINE}}; COMPREPLY=()
"$function" switchgear "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\\n' "${{COMPREPLY[@]}}"
"""


def bash_completions(script: Path, line: str) -> list[str]:
    """What bash offers on TAB after `line` (a trailing space: a new word)."""
    words = line.split() + ([""] if line.endswith(" ") else [])
    program = _ASK_BASH.format(
        script=shlex.quote(str(script)), words=" ".join(shlex.quote(w) for w in words)
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return [w for w in done.stdout.splitlines() if w]


def test_bash_completes_commands_options_and_choices(tmp_path: Path) -> None:
    made = run_switchgear("completion", "bash", data_dir=tmp_path)
    assert made.returncode == 0, made.stderr
    script = tmp_path / "switchgear.bash"
    script.write_text(made.stdout)

    commands = bash_completions(script, "switchgear ")
    for command in ("serve", "chat", "models", "keys", "usage", "doctor", "completion"):
        assert command in commands
    assert bash_completions(script, "switchgear chat --mo") == ["--model"]
    assert bash_completions(script, "switchgear doctor --j") == ["--json"]
    assert bash_completions(script, "switchgear completion ") == ["bash", "zsh", "tcsh"]
    assert bash_completions(script, "switchgear usage --format ") == ["table", "csv", "json"]


def test_bash_completes_file_names_for_config(tmp_path: Path) -> None:
    made = run_switchgear("completion", "bash", data_dir=tmp_path)
    script = tmp_path / "switchgear.bash"
    script.write_text(made.stdout)
    (tmp_path / "prod.yaml").write_text("{}\n")
    line = f"switchgear doctor --config {tmp_path}/pro"
    assert bash_completions(script, line) == [f"{tmp_path}/prod.yaml"]


def test_zsh_and_tcsh_scripts_name_every_command(tmp_path: Path) -> None:
    """zsh and tcsh are not installed on the test machines, so their scripts are checked as
    text: each is produced, is for `switchgear`, and names the commands."""
    zsh = run_switchgear("completion", "zsh", data_dir=tmp_path)
    assert zsh.returncode == 0, zsh.stderr
    assert zsh.stdout.startswith("#compdef switchgear")
    tcsh = run_switchgear("completion", "tcsh", data_dir=tmp_path)
    assert tcsh.returncode == 0, tcsh.stderr
    assert "complete switchgear" in tcsh.stdout
    for script in (zsh.stdout, tcsh.stdout):
        assert "doctor" in script and "completion" in script and "max-tokens" in script


def test_an_unknown_shell_is_refused(tmp_path: Path) -> None:
    refused = run_switchgear("completion", "fish", data_dir=tmp_path)
    assert refused.returncode == 2
    assert "invalid choice: 'fish'" in refused.stderr
