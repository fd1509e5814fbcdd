"""The progress bar: its figures, and silence off a terminal."""

import io

from emgcramp.cli.progress import Progress


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_the_bar_says_how_far_and_how_long_is_left():
    p = Progress("generate", 200, stream=Tty())
    assert p.line(50, 10.0) == "generate [" + "#" * 7 + " " * 23 + "]  25.0%  30 s left   "
    assert p.line(100, 600.0).endswith(" 50.0%  10 min left   ")
    assert "left" not in p.line(0, 1.0)


def test_nothing_is_shown_off_a_terminal_and_items_pass_through():
    quiet = io.StringIO()
    assert list(Progress("x", 3, stream=quiet).over([[1], [2], [3]])) == [[1], [2], [3]]
    assert quiet.getvalue() == ""
    tty = Tty()
    assert list(Progress("x", 3, stream=tty).over([[1], [2], [3]])) == [[1], [2], [3]]
    assert tty.getvalue().endswith("100.0%  0 s left   \n")


def test_step_counts_items_that_report_as_they_finish():
    tty = Tty()
    bar = Progress("nights", 4, stream=tty)
    for row in ("a", "b", "c", "d"):
        bar.step(row)
    bar.close()
    assert " 25.0%" in tty.getvalue() and tty.getvalue().endswith("100.0%  0 s left   \n")
