"""Campaigns and evaluations (issue 14): ``schemes`` — evaluation schemes as versioned
data (load a local variant, install the shipped ones, list, show). Rounds, assessment
sheets and work plans build on these versions."""
