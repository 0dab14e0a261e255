"""Forms NY202 (data-centre rooms) and NY203 (heating): import (:mod:`.imports`),
entry (:mod:`.entry`), summaries with PUE (:mod:`.summaries`)."""
