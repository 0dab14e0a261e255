"""The statistics of the dashboard pages and of their JSON twins, around one
selection step (:mod:`.selection`): the overview (总览, :mod:`.overview`), the
rankings within a category (同类可比, :mod:`.ranking`), the explanation behind
every figure (:mod:`.explain`) and the figures of every institution at once
(:mod:`.publication_figures`). Beneath them: the indicators of a region's
subtree, a category, a department or an institution, as ratios of sums
(:mod:`.indicators`), and the factor set each region's figures use, an
administrator's choice inherited down the region tree (:mod:`.factor_choice`).

Every function takes the caller's :class:`~jieneng.core.scope.Scope`; the selection
resolves it through :func:`jieneng.services.scope.scoped_filters`, the one place
scope is enforced, with the region tree, categories and period, once per request.
"""
