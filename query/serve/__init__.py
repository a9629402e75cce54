"""``query serve``: the JSON API and the web page over one or more index directories."""
