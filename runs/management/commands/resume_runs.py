from datetime import timedelta

from django.core.management.base import BaseCommand

from runs.tasks import resume_unfinished_runs


class Command(BaseCommand):
    help = (
        "Score again the runs left unfinished for more than --older-than seconds (default 600): runs whose task "
        "was lost before reaching a worker, or whose process died. Safe to run at any time, e.g. from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=600, help="Seconds since the run started.")

    def handle(self, *args, older_than, **options):
        run_ids = resume_unfinished_runs(older_than=timedelta(seconds=older_than))
        self.stdout.write(f"Resumed {len(run_ids)} run(s){': ' + ', '.join(map(str, run_ids)) if run_ids else ''}.")
