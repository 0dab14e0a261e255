"""Campaign and evaluation schemes (issue 14 §2): the scheme model (:mod:`.scheme`), its
checks (:mod:`.validate`), the figures items may name (:mod:`.measures`), vectorised
scoring (:mod:`.scoring`) and the shipped schemes (:mod:`.shipped`)."""
