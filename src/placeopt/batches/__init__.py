"""`placeopt batch`: many solves of one workbook, side by side.

`run` (the tasks: scenarios, demand samples, a fixed programme; local processes or a Dask
cluster; resuming), `uncertainty` (the demand samples and their percentiles), `programme`
(an earlier plan's build decisions held fixed, and its regret), `views` (batch_summary.csv
and .xlsx, batch.html).
"""
