"""Energy-saving projects in the web: the list and map, the project page (lifecycle,
contract, boundary, baseline against actual, savings), statements and documents."""
