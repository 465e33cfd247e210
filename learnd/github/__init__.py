"""learnd's boundary with GitHub: the only package that talks to it.

The rest of learnd never imports PyGithub; it calls these modules and catches
:class:`learnd.github.errors.GitHubError` (each subclass carries its exit status)::

    from learnd.github.auth import require_token
    from learnd.github.client import GitHubClient
    from learnd.github.publish import publish_issue
    from learnd.github.pulls import pull_request, review_context
    from learnd.github.settings import GitHubSettings, with_environment

    settings = with_environment(config.github, os.environ)
    with GitHubClient(settings, require_token(settings, os.environ)) as client:
        pr = pull_request(client, "acme/widgets", 12)
        context = review_context(client, "acme/widgets", 12)
        issue = publish_issue(client, "acme/widgets", pr_number=12, ...)
        spent = client.requests

- ``settings``: the ``[github]`` table and ``GITHUB_API_URL``;
- ``auth``: finding the token, and keeping it out of sight;
- ``client``: HTTP through PyGithub's requester, retries, request counting, the
  token's account, create requests sent once;
- ``retry``: GitHub's rules for when to wait and how long;
- ``pulls``: a PR's facts, the PRs behind a commit, a PR's review talk;
- ``publish``: the issue, the gist, the comment on the PR;
- ``body``: composing bodies and cutting them to GitHub's size limit;
- ``markers``: the hidden marker that finds a run's issue again, and which one counts;
- ``payload``: reading GitHub's JSON with types checked;
- ``errors``: what can go wrong, with exit statuses 3 to 11.

This file imports nothing: ``learnd.github.settings`` is read by the configuration
loader on every start (a git hook among them), and must not pull in PyGithub.
"""
