"""RSS 2.0 and Atom feeds of papers: latest, per topic, per author and per subscriber (private)."""
