// MathJax for pymdownx.arithmatex (generic mode): the $$ ... $$ blocks that
// docs/_griffe/sphinx_roles.py makes from the docstrings' `.. math::` directives.
window.MathJax = {
  tex: {inlineMath: [["\\(", "\\)"]], displayMath: [["\\[", "\\]"]],
        processEscapes: true, processEnvironments: true},
  options: {ignoreHtmlClass: ".*|", processHtmlClass: "arithmatex"},
};
document$.subscribe(() => { MathJax.typesetPromise(); });
