"""Performance assessment (绩效考核, issue 14 §4): sheets (versioned data), runs scored
from the platform's figures and hand scores, results with grades and ranks."""
