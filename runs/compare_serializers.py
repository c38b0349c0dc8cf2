"""Output shapes of the run comparison, for the OpenAPI document (the views build plain dicts)."""

from rest_framework import serializers

from aegis.fields import StrictCharField
from runs.compare import CHANGES


class CompareRunRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    alias = StrictCharField()
    dataset_id = serializers.IntegerField(allow_null=True)
    dataset_version = serializers.IntegerField(allow_null=True, help_text="The dataset version the run scored.")
    status = serializers.ChoiceField(choices=["pending", "running", "finished", "cancelled"])


class CompareChangeCountsOut(serializers.Serializer):
    regressed = serializers.IntegerField()
    improved = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    error = serializers.IntegerField()
    pending = serializers.IntegerField()


class CompareRecordCountsOut(serializers.Serializer):
    base = serializers.IntegerField(help_text="Rows with at least one evaluation in the base run.")
    head = serializers.IntegerField(help_text="Rows with at least one evaluation in the head run.")
    matched = serializers.IntegerField(help_text="Rows found in both runs.")
    only_in_base = serializers.IntegerField()
    only_in_head = serializers.IntegerField()
    with_change = CompareChangeCountsOut(
        help_text="Matched records with at least one metric in each change (a record may count in several)."
    )


class CompareMetricOut(serializers.Serializer):
    metric = StrictCharField(help_text="Metric shortname, present in both runs.")
    pairs = serializers.IntegerField(help_text="Matched rows scored with this metric in both runs.")
    scored_pairs = serializers.IntegerField(help_text="Pairs where both evaluations succeeded: the means and rates.")
    base_mean = serializers.FloatField(allow_null=True)
    head_mean = serializers.FloatField(allow_null=True)
    mean_delta = serializers.FloatField(allow_null=True, help_text="head_mean - base_mean, over the scored pairs.")
    mean_delta_interval = serializers.ListField(
        child=serializers.FloatField(),
        min_length=2,
        max_length=2,
        allow_null=True,
        help_text="[low, high]: a 95% paired bootstrap interval of mean_delta (fixed seed: the same runs always give "
        "the same interval).",
    )
    significant = serializers.BooleanField(allow_null=True, help_text="The interval leaves out 0.")
    base_pass_rate = serializers.FloatField(allow_null=True, help_text="0-1: result >= the evaluation's threshold.")
    head_pass_rate = serializers.FloatField(allow_null=True)
    pass_rate_delta = serializers.FloatField(allow_null=True)
    regressions = serializers.IntegerField(help_text="Passed in base, fails in head.")
    improvements = serializers.IntegerField(help_text="Failed in base, passes in head.")
    unchanged = serializers.IntegerField()
    errors = serializers.IntegerField(help_text="An evaluation failed (is_success false) on either side.")
    pending = serializers.IntegerField(help_text="Not scored yet on either side.")


class CompareIntervalOut(serializers.Serializer):
    method = StrictCharField()
    confidence = serializers.FloatField()
    resamples = serializers.IntegerField()
    seed = serializers.IntegerField()


class CompareSummaryOut(serializers.Serializer):
    base = CompareRunRefOut()
    head = CompareRunRefOut()
    matching = serializers.ChoiceField(
        choices=["record", "content", "position"],
        help_text="record: the same dataset records; content: across dataset versions, by prompt, input, context and "
        "golden answer; position: custom runs, row by row.",
    )
    records = CompareRecordCountsOut()
    metrics = CompareMetricOut(many=True)
    metrics_only_in_base = serializers.ListField(child=StrictCharField())
    metrics_only_in_head = serializers.ListField(child=StrictCharField())
    interval = CompareIntervalOut()


class CompareRecordOut(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="The dataset record (or custom row) id.")
    record_index = serializers.IntegerField()
    prompt = StrictCharField(allow_null=True)
    input = StrictCharField(allow_null=True)
    context = StrictCharField(allow_null=True)
    output = StrictCharField(allow_null=True)
    golden_answer = StrictCharField(allow_null=True)


class CompareSideResultOut(serializers.Serializer):
    result = serializers.FloatField(allow_null=True)
    threshold = serializers.IntegerField()
    is_success = serializers.BooleanField(allow_null=True)
    is_gte_threshold = serializers.BooleanField(allow_null=True)


class CompareMetricChangeOut(serializers.Serializer):
    change = serializers.ChoiceField(choices=list(CHANGES))
    base = CompareSideResultOut()
    head = CompareSideResultOut()


class CompareRecordItemOut(serializers.Serializer):
    cursor = serializers.IntegerField(help_text="Send it as `after` to get the records that follow this one.")
    base_record = CompareRecordOut(help_text="String fields cut to 100 characters.")
    head_record = CompareRecordOut(help_text="String fields cut to 100 characters.")
    metrics = serializers.DictField(child=CompareMetricChangeOut(), help_text="By metric shortname.")
