"""SWE-bench subsets: instances, the oracle prompt, and evaluation with or without Docker.

Modules: ``instances`` (loading, subsets), ``prompt`` (oracle text, patch extraction,
protocol version), ``repos`` (mirror/clone, tree export), ``environment`` (venv per
repository environment, outside the sandbox), ``local`` (the sandboxed executor),
``patches`` and ``guard`` (what of a model's patch is applied), ``report_plugin`` and
``outcomes`` (pytest's own record of outcomes, checked against the log),
``grading`` (swebench's parsers and grading), ``docker`` (the official harness),
``evaluation`` (dispatch), ``benchmark`` (registered as ``swebench`` and
``swebench-verified``). Importing this package registers the benchmarks; the swebench
package itself is imported only when an instance is judged.
"""

from benchmarks.swebench.benchmark import SWEBench
from benchmarks.swebench.evaluation import evaluate_predictions
from benchmarks.swebench.instances import Instance, read_instances, select
from benchmarks.swebench.local import InstanceVerdict, LocalExecutor

__all__ = ["Instance", "InstanceVerdict", "LocalExecutor", "SWEBench", "evaluate_predictions",
           "read_instances", "select"]
