"""Learning from reviews: what maintainers accepted and declined on learnd's plans.

- ``settings``: the ``[feedback]`` thresholds;
- ``verdicts``: a closed plan issue's ticks as one verdict per item;
- ``sync``: reading closed plan issues from GitHub and recording their reviews;
- ``memory``: the stored verdicts and earlier plans of a repository, each re-checked
  against the code at a merge before it is used;
- ``ranking``: the next plan's order and what it leaves out, from that memory.
"""
