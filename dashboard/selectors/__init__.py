"""Read queries of the dashboard app, one module per purpose: ``home`` (the 工作台's to-do counts)
and ``statistics`` (the 统计报表 pages, their exports and the nightly profile's conditions).

Every query starts from ``.visible_to(user)`` (or a selector of the owning app that does), is
narrowed to the picked area by its code prefix, and aggregates in SQL. Python only reshapes the
aggregated rows — never one row per elder.
"""
