"""A small background of unrelated papers so that term statistics behave as on a real day."""

BACKGROUND = [
    (
        "Dark matter halos in dwarf galaxies",
        "We simulate the rotation curves of dwarf galaxies and their halos.",
    ),
    ("Prime gaps and the Riemann hypothesis", "Bounds on gaps between consecutive primes are derived."),
    (
        "Protein folding kinetics from molecular dynamics",
        "Long simulations reveal folding pathways of small proteins.",
    ),
    ("Monetary policy under uncertainty", "A central bank model with uncertain inflation expectations."),
    (
        "Soil moisture retrieval from satellite radar",
        "Radar backscatter is inverted to estimate soil moisture.",
    ),
    ("Topological insulators in thin films", "Surface states of bismuth selenide films are measured."),
    ("A survey of compiler optimisations", "Loop unrolling, inlining and vectorisation in modern compilers."),
    ("Coral reef resilience to heat waves", "Field data on bleaching and recovery of reef ecosystems."),
    ("Quantum error correction with surface codes", "Thresholds of the surface code under circuit noise."),
    ("Traffic flow on urban road networks", "A cellular model of congestion in city traffic."),
    ("Glacier retreat in the Alps since 1850", "Historical maps and photographs quantify glacier retreat."),
    ("Auction design for spectrum allocation", "Combinatorial auctions for radio spectrum licences."),
]
