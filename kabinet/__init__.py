"""kabinet: sign-in to a development bank's personal cabinet with NCA RK keys."""
