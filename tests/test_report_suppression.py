"""Small-number suppression for shared reports: primary (1 to 4 as "fewer than 5", 0 stays 0),
secondary in rows and in columns so a total cannot give a hidden cell away, a total hidden
when nothing else can be, rates and medians over hidden counts, across tables (pathways and
quarters add up the services), the threshold from config, and the study's figures."""

from dataclasses import replace

from inreach.reports import suppression
from inreach.reports.figures import Funnel, PeriodRow, Report, Scope, ServiceRow, Step
from inreach.reports.suppression import SMALL, WITHHELD, Relation, protect

FEWER = "fewer than 5"


def test_primary_hides_one_to_four_and_keeps_zero():
    cells = {"zero": 0, "one": 1, "four": 4, "five": 5, "many": 63}
    assert protect(cells, [], 5) == {"one": SMALL, "four": SMALL}
    assert protect(cells, [], 10) == {"one": SMALL, "four": SMALL, "five": SMALL}
    assert protect(cells, [], 1) == {}


def test_secondary_in_a_row_hides_the_next_smallest_non_zero_cell():
    cells = {"total": 23, "a": 3, "b": 0, "c": 7, "d": 13}
    assert protect(cells, [Relation("total", ("a", "b", "c", "d"))], 5) == {
        "a": SMALL, "c": WITHHELD}


def test_two_small_cells_in_a_row_need_nothing_more():
    cells = {"total": 20, "a": 3, "b": 4, "c": 13}
    assert protect(cells, [Relation("total", ("a", "b", "c"))], 5) == {"a": SMALL, "b": SMALL}


def test_secondary_cascades_through_rows_and_columns():
    grid = [[3, 8, 9], [6, 7, 10]]
    cells = {f"r{row}c{column}": value for row, values in enumerate(grid)
             for column, value in enumerate(values)}
    cells |= {f"row{row}": sum(values) for row, values in enumerate(grid)}
    cells |= {f"column{column}": grid[0][column] + grid[1][column] for column in range(3)}
    relations = [Relation(f"row{row}", tuple(f"r{row}c{column}" for column in range(3)))
                 for row in range(2)]
    relations += [Relation(f"column{column}", (f"r0c{column}", f"r1c{column}"))
                  for column in range(3)]
    hidden = protect(cells, relations, 5)
    assert hidden == {"r0c0": SMALL, "r0c1": WITHHELD, "r1c0": WITHHELD, "r1c1": WITHHELD}
    for relation in relations:  # no relation is left with a single unknown
        assert sum(key in hidden for key in (relation.total, *relation.parts)) != 1


def test_a_total_is_hidden_when_no_other_cell_can_be():
    cells = {"x": 12, "a": 3, "c": 9, "t": 9, "zero": 0}
    hidden = protect(cells, [Relation("x", ("a", "c")), Relation("t", ("c", "zero"))], 5)
    assert hidden == {"a": SMALL, "c": WITHHELD, "t": WITHHELD}


def _row(name: str, made: int, sent: int, accepted: int, declined: int, no_contact: int,
         unanswered: int, parts: tuple[int, ...] = ()) -> ServiceRow:
    return ServiceRow(name=name, made=made, sent=sent, accepted=accepted, declined=declined,
                      unanswered=unanswered, no_contact=no_contact,
                      acceptance_rate=accepted / sent if sent else None,
                      median_days_to_answer=5.0 if sent > unanswered else None,
                      median_days_to_first_contact=8.5 if accepted else None, parts=parts)


def _report(steps: list[int], not_attended, services, pathways=(), periods=()) -> Report:
    keys = ["on_list", "eligible", "attended", "seen", "referred", "sent", "accepted",
            "first_contact", "profile", "job_start", "in_work_13"]
    funnel = Funnel(
        steps=[Step(key, key, "", count,
                    None if index == 0 else (count / steps[index - 1] if steps[index - 1]
                                             else None))
               for index, (key, count) in enumerate(zip(keys, steps, strict=True))],
        not_attended=list(not_attended), declined_everything=2)
    return Report(scope=Scope(), title="Test", empty=False, funnel=funnel,
                  by_service=list(services), by_pathway=list(pathways), volunteer_hours=[],
                  over_time=list(periods))


MENTAL_HEALTH = _row("Talking therapies", 63, 63, 9, 27, 10, 17)
STUDY = [90, 85, 76, 71, 69, 63, 33, 29, 27, 23, 15]


def test_the_study_shapes_show_exactly(app):
    report = _report(STUDY, [("Refused", 6), ("Not recorded", 8)], [MENTAL_HEALTH],
                     periods=[PeriodRow("2026 Q1", 63, 9, 23)])
    with app.app_context():
        shown = suppression.shared_texts(report)
    assert [step["count"] for step in shown["funnel"]] == [str(count) for count in STUDY]
    row = shown["by_service"][0]
    assert [row[name] for name in ("made", "sent", "accepted", "declined", "no_contact",
                                   "unanswered", "acceptance_rate")] == [
        "63", "63", "9", "27", "10", "17", "14%"]
    assert shown["declined_everything"] == FEWER
    assert shown["over_time"] == [{"period": "2026 Q1", "referrals": "63", "accepted": "9",
                                   "job_starts": "23"}]


def test_a_service_row_hides_its_small_cells_and_what_would_give_them_away():
    ips = _row("IPS employment", 39, 37, 31, 1, 1, 4)  # 2 made, not sent: small and derivable
    report = _report(STUDY, [], [ips], periods=[PeriodRow("2026 Q1", 39, 31, 24)])
    row = suppression.shared_texts(report, 5)["by_service"][0]
    assert [row[name] for name in ("made", "sent", "accepted", "declined", "no_contact",
                                   "unanswered")] == ["39", "withheld", "31", FEWER, FEWER, FEWER]
    assert row["acceptance_rate"] == "withheld"
    assert row["median_days_to_answer"] == "withheld"  # over the withheld sent
    assert row["median_days_to_first_contact"] == "8.5"


def test_a_column_total_shared_with_the_quarters_cannot_reveal_a_service():
    services = [_row("Housing", 20, 0, 0, 0, 0, 0), _row("Benefits", 3, 0, 0, 0, 0, 0)]
    report = _report(STUDY, [], services, periods=[PeriodRow("2026 Q1", 23, 0, 0)])
    shown = suppression.shared_texts(report, 5)
    assert [row["made"] for row in shown["by_service"]] == ["withheld", FEWER]
    assert shown["over_time"][0]["referrals"] == "23"


def test_a_pathway_of_one_service_hides_what_the_service_hides():
    services = [_row("Housing", 20, 0, 0, 0, 0, 0), _row("Benefits", 3, 0, 0, 0, 0, 0)]
    pathways = [_row("Accommodation", 20, 0, 0, 0, 0, 0, parts=(0,)),
                _row("Finance", 3, 0, 0, 0, 0, 0, parts=(1,))]
    shown = suppression.shared_texts(_report(STUDY, [], services, pathways), 5)
    assert [row["made"] for row in shown["by_service"]] == ["withheld", FEWER]
    assert [row["made"] for row in shown["by_pathway"]] == ["withheld", FEWER]


def test_a_pathway_of_two_services_may_show_their_sum():
    services = [_row("Housing", 20, 0, 0, 0, 0, 0), _row("Benefits", 3, 0, 0, 0, 0, 0),
                _row("Work", 30, 0, 0, 0, 0, 0)]
    pathways = [_row("Accommodation", 20, 0, 0, 0, 0, 0, parts=(0,)),
                _row("Finance", 33, 0, 0, 0, 0, 0, parts=(1, 2))]
    shown = suppression.shared_texts(_report(STUDY, [], services, pathways), 5)
    assert [row["made"] for row in shown["by_service"]] == ["20", FEWER, "withheld"]
    assert [row["made"] for row in shown["by_pathway"]] == ["20", "33"]


def test_reasons_for_not_attending_and_the_funnel_rates():
    steps = [20, 20, 12, 3, 3, 3, 0, 0, 0, 0, 0]
    report = _report(steps, [("Refused", 3), ("Unwell", 5)], [])
    shown = suppression.shared_texts(report, 5)
    assert [item["count"] for item in shown["not_attended"]] == [FEWER, "withheld"]
    assert [step["count"] for step in shown["funnel"]][:7] == [
        "20", "20", "12", FEWER, FEWER, FEWER, "0"]
    rates = [step["rate"] for step in shown["funnel"]]
    assert rates[:4] == ["–", "100%", "60%", "withheld"]
    assert rates[6:8] == ["withheld", "–"]  # 0 of a hidden 3; then nothing to divide by


def test_the_threshold_comes_from_config(make_app):
    app = make_app(REPORT_SUPPRESS_BELOW=10)
    report = _report(STUDY, [], [replace(MENTAL_HEALTH)])
    with app.app_context():
        assert suppression.configured_threshold() == 10
        shown = suppression.shared_texts(report)
    assert shown["by_service"][0]["accepted"] == "fewer than 10"
    assert shown["funnel"][0]["count"] == "90"


def test_the_default_threshold_is_five(app):
    with app.app_context():
        assert suppression.configured_threshold() == 5
