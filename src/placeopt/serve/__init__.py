"""`placeopt serve`: the planner's page, a local web app over the command line's engine
(SPEC §5; docs/serve.md).

`server` binds and starts it; `app` is the page and its JSON API; `uploads` and `forms`
read what the page sends with the command line's own checks; `runs` is the data folder
(one result folder per run, and each run's record); `jobs` runs each request as the
command line's own command in a worker process; `guard` is who may use it.
"""
