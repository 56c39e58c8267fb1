"""Demand-gap analytics for analysts (issue #8): where demand is not met (找差距、补短板).

``runner.gaps_report`` is what ``qis-match gaps`` runs; ``analysis.analyse`` computes every table;
``demo.generate_demo_log`` fills an empty log with a demo year through the real matcher.
"""
