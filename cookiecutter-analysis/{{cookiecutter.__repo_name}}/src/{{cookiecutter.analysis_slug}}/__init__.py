"""{{ cookiecutter.analysis_name }}: opposite-charge muon pairs and the Z peak."""

__version__ = "0.1.0"
