// Systemd layer
