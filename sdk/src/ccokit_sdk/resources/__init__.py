"""One module per API resource: its result types and its sync and async namespaces.

Adding a resource takes a module here with an :class:`~ccokit_sdk.objects.APIObject` dataclass
per result and two small classes built on :mod:`ccokit_sdk.resources.namespace`, then one line
each in :class:`ccokit_sdk.Client` and :class:`ccokit_sdk.AsyncClient` and in
:mod:`ccokit_sdk.types`.
"""
