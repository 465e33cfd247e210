"""What a pull request's review discussion teaches: parsing, filtering, classifying.

The PRCommentAnalyzer agent (``learnd.agents.pr_comments``) is a thin shell around
this package, which works on plain JSON and knows nothing about run directories.
"""
