"""Reviewing written answers: a batch's text questions grouped, decided against their rubric by people, applied.

``answers`` (what the batch read, per question), ``groups`` (identical, then near-identical answers; rubric
suggestions; the integrity badge), ``alike`` (whether two answers say the same thing, so one decision may cover
both), ``store`` (decisions in OUT/reviews.sqlite), ``apply`` (decisions into results, reports, gradebook and
summary), ``exchange`` (reviews.yaml export and import), ``shards`` (decisions made on shard folders, carried
into a merge), ``app`` (the local web page) and ``server`` (its token and address).

May import base, spec, judge, reports and classroom (it rewrites a batch's outputs); nothing imports it but
the command line.
"""
