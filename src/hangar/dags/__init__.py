"""`hangar dags check`: DAG files imported inside an image, problems reported per file and line."""
