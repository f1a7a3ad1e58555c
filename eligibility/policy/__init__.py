"""The policy engine: the catalogue vocabulary, the rule compiler, the nightly sweep (服务找人).

Entry points: ``eligibility.policy.sweep.sweep(as_of, county=None)``,
``eligibility.policy.loader.load_policy(name)``, ``eligibility.policy.compiler.compile_criteria``.
"""
