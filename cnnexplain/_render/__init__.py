"""Views of results: no arithmetic.

Text, Markdown, LaTeX, HTML and dict tables, costs, SVG drawings, the playground's code
results, and the table from output format to renderer.
"""
