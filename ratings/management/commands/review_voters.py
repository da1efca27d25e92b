"""``manage.py review_voters``: the flagged voters and IPs, a pass of the filter, restores."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ratings.models import FlaggedVoter
from ratings.voters import flag_voters, restore_flag


class Command(BaseCommand):
    help = (
        "List voters and IP addresses flagged as anomalous (their votes are excluded from "
        "the ratings); --restore ID lets a flag's votes count again; --flag runs the filter "
        "now (--dry-run: only show what it would flag)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="Include restored flags.")
        parser.add_argument(
            "--restore", type=int, metavar="ID", help="Restore flag ID: its votes count again."
        )
        parser.add_argument("--flag", action="store_true", help="Run the filter now.")
        parser.add_argument(
            "--dry-run", action="store_true", help="With --flag: report, write nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"] and not options["flag"]:
            raise CommandError("--dry-run goes with --flag.")
        if options["restore"] is not None and options["flag"]:
            raise CommandError("Choose --restore or --flag, not both.")
        if options["restore"] is not None:
            try:
                restored = restore_flag(options["restore"], by="manage.py review_voters")
            except ValueError as exc:
                raise CommandError(f"{exc} See `manage.py review_voters --all`.") from None
            self.stdout.write(f"Restored flag #{options['restore']}: {restored} votes count again.")
            return
        if options["flag"]:
            report = flag_voters(dry_run=options["dry_run"])
            self.stdout.write(f"Scored {report.votes} votes.")
            for kind, verdict in report.verdicts:
                self.stdout.write(
                    f"  {kind} {verdict.key[:16]}  {verdict.signal}: {verdict.detail}"
                )
            if options["dry_run"]:
                self.stdout.write("Dry run: nothing written.")
                return
            self.stdout.write(
                f"New flags: {len(report.flagged)}; votes newly excluded: {report.excluded}."
            )
        self._list(include_restored=options["all"])

    def _list(self, *, include_restored: bool) -> None:
        flags = FlaggedVoter.objects.all()
        if not include_restored:
            flags = flags.filter(restored_at=None)
        if not flags.exists():
            self.stdout.write("No flagged voters.")
            return
        self.stdout.write(
            f"{'id':>5}  {'kind':<5}  {'key':<16}  {'signal':<11}  {'votes':>6}  state"
        )
        for flag in flags:
            state = (
                "active"
                if flag.is_active
                else f"restored {flag.restored_at:%Y-%m-%d %H:%M} by {flag.reviewed_by or '?'}"
            )
            self.stdout.write(
                f"{flag.pk:>5}  {flag.kind:<5}  {flag.key[:16]:<16}  {flag.signal:<11}  "
                f"{flag.votes:>6}  {state}\n       {flag.reason}"
            )
