"""Server-rendered pages, one package per audience: public, portal, office, panel, commission."""
