"""CI integrations: the logic behind ``action.yml`` (GitHub Actions) and
``templates/anchor.gitlab-ci.yml`` (GitLab CI), so their YAML stays a few thin lines.

``python -m anchor.ci {github|gitlab} {collect|publish|verify|summary}`` runs one stage of
the release anchor and hands its results to the CI system:

* ``collect`` runs ``anchor collect`` over ``ANCHOR_PATHS`` (outputs the bundle path and the
  Merkle root);
* ``publish`` checks that the secrets are there, then runs ``anchor publish`` (the
  transaction hash); with ``ANCHOR_PUBLISH=false`` it does nothing;
* ``verify`` runs ``anchor verify`` of every collected file against the bundle, offline,
  pinned to the identity key of ``ANCHOR_IDENTITY_SEED`` (the verdict), and packs the
  bundle into a reproducible ``.tar.gz`` for the release;
* ``summary`` writes the verdict table in Markdown (GitHub: ``$GITHUB_STEP_SUMMARY``;
  GitLab: ``anchor-ci/summary.md`` and the job log), whatever happened before.

Settings come from the environment (``ANCHOR_PATHS``, ``ANCHOR_ROOT``, ``ANCHOR_OUTPUT``,
``ANCHOR_NETWORK``, ``ANCHOR_PROVIDER``, ``ANCHOR_PROVIDER_URL``, ``ANCHOR_PUBLISH``,
``ANCHOR_CONFIRMATIONS``: see :mod:`anchor.ci.settings`), secrets by name from the
environment as ``anchor publish`` reads them (``ANCHOR_PAYMENT_SKEY``,
``ANCHOR_IDENTITY_SEED``, ``BLOCKFROST_PROJECT_ID``); nothing here reads, prints or writes
a secret's value. Outputs go to ``$GITHUB_OUTPUT`` (GitHub's delimiter syntax) or to the
dotenv report ``anchor-ci/anchor.env`` (GitLab): see :mod:`anchor.ci.platform`.

Like :mod:`anchor.cli`, this package is an edge: it runs the ``anchor`` commands
in-process (their own lines, exit codes and secret hygiene), prints each command line it
runs and, on a refusal of its own, one ``error:`` line with exit 4. The formatting parts
(:mod:`anchor.ci.outputs`, :mod:`anchor.ci.summary`) take values and return text.
"""
