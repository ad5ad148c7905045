"""HTTP views of the customers plugin: profiles, the tier ladder and CSV imports."""
