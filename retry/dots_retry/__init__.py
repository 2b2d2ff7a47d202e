"""Safe retries for the generated Dots client (`dots_client`).

`confirm(client, payment_intent_id, payment_method_id)` is the one call a payments service needs:
it retries what is safe to retry and reconciles a lost answer, so a confirm that went through is
never reported as a failure and never sent twice to effect. `create` and `retrieve` retry under
the same policy (a create never once it may have reached the server). Each has an `_async` twin.
The policy: `dots_retry.policy`; docs/client.md, "Retries and a lost answer".
"""

from dots_retry.operations import (
    ConfirmOutcomeUnknown,
    ConfirmResult,
    confirm,
    confirm_async,
    create,
    create_async,
    retrieve,
    retrieve_async,
)
from dots_retry.policy import DEFAULT_POLICY, Operation, RetryPolicy

__all__ = [
    "DEFAULT_POLICY",
    "ConfirmOutcomeUnknown",
    "ConfirmResult",
    "Operation",
    "RetryPolicy",
    "confirm",
    "confirm_async",
    "create",
    "create_async",
    "retrieve",
    "retrieve_async",
]
