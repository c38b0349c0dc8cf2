"""Where collections, datasets and runs meet: the writes and reads that span all three.

A dataset and a run point at their collection, a run at its dataset, and each app imports only the ones below it
(accounts and metrics < collections_app < datasets < runs). What reads or writes across all three lives here, above
them: the sharing cascades, the collection writes over their datasets and runs, a collection read with its contents,
a dataset's update (its collection, its owner's runs, its baseline run) and delete (the runs' evaluations of its
records). A plain package: no models, no app of its own.
"""
