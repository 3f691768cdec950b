"""GitLab adapters: clients and auth, project listing, batched file reads, cache, sources.

Only remote commands import this package (it pulls in python-gitlab). Entry points:
:func:`hepci.gitlab.sources.audit_remote`, :func:`hepci.gitlab.settings.resolve_settings`,
:class:`hepci.gitlab.client.ClientPool`.
"""
