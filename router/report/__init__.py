"""`routerx report`: one self-contained HTML page of what the store knows, with charts.

Modules: `data` (queries), `shaping` (pure numpy: Pareto frontier, running posteriors),
`sections` (what is shown, format-free), `charts` (matplotlib, imported lazily),
`html` (the page), `write` (the file), `artifacts` (payloads for Prefect artifacts).
Nothing here is imported by the routing path, and nothing imports matplotlib until a
chart is drawn.
"""
