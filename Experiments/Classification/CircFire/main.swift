import ClassificationExperiment

ImageCommand<CircFirePaper>.main()
