"""Reports: a patient's series and report, stored snapshots, the cohort, exports, file inputs."""
